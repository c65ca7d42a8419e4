"""Model tasks with real models: Coral's MoveNet and DeepLab through coral-run run.mode=pipeline (results,
mask PNGs, a recording that shows the drawing), SSD models built here in both output orders (the real
TFLite_Detection_PostProcess op), a model no rule knows; config validate and model inspect show the task."""

import csv
import json
import shutil

import numpy as np
import pytest

from conftest import coral_file, run_cli, summaries
from tflite_builder import build_model, expected_boxes, ssd_model


def pipeline(tmp_path, images, *overrides):
    folder = tmp_path / "images"
    folder.mkdir(parents=True, exist_ok=True)
    for image in images:
        shutil.copy(image, folder / image.name)
    result = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", f"run.source={folder}",
                     f"hydra.run.dir={tmp_path}/run", *overrides, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    run_dir = tmp_path / "run"
    records = [json.loads(line) for line in (run_dir / "results.jsonl").read_text().splitlines()]
    return records, summaries(run_dir)[0], run_dir, result


def test_movenet_on_squat_gives_the_reference_pose_and_a_recording_with_the_skeleton(tmp_path):
    import cv2

    model, image = coral_file("movenet_single_pose_lightning_ptq.tflite"), coral_file("squat.bmp")
    reference = list(csv.DictReader(coral_file("movenet_single_pose_lightning_ptq_reference.csv").open()))
    records, summary, run_dir, _ = pipeline(tmp_path, [image], f"model.path={model}", "run.min_keypoint_score=0",
                                            "services=recording", "services.recording.fps=1",
                                                "services.recording.draw=true")
    assert summary["results"]["pipeline"]["streams"]["default"]["task"]["task"] == "pose"
    (record,) = records
    assert record["kind"] == "pose" and "predictions" not in record
    keypoints = record["poses"][0]["keypoints"]
    assert [k["name"] for k in keypoints][:3] == ["nose", "left_eye", "right_eye"] and len(keypoints) == 17
    for k, ref in zip(keypoints, reference):
        assert abs(k["nx"] - float(ref["keypoint_x"])) < 0.03 and abs(k["ny"] - float(ref["keypoint_y"])) < 0.03
        assert k["x"] == pytest.approx(k["nx"] * 500, abs=0.01) and k["y"] == pytest.approx(k["ny"] * 610, abs=0.01)
    (video,) = sorted((run_dir / "recordings" / "default").glob("*.mp4"))
    ok, frame = cv2.VideoCapture(str(video)).read()
    assert ok and frame.shape == (610, 500, 3)
    original = cv2.imread(str(image))
    nose = next(k for k in keypoints if k["name"] == "nose")
    x, y = int(nose["x"]), int(nose["y"])
    drawn = np.abs(frame[y - 2:y + 3, x - 2:x + 3].astype(int) - original[y - 2:y + 3, x - 2:x + 3].astype(int))
    far = np.abs(frame[20:40, 20:40].astype(int) - original[20:40, 20:40].astype(int))  # plain wall: no drawing
    assert drawn.mean() > 40 and far.mean() < 12  # a red keypoint where the nose is (mp4 is lossy)


def test_deeplab_on_the_bird_gives_segmentation_with_bird_the_largest_class_and_mask_pngs(tmp_path):
    import cv2

    model, image = coral_file("deeplabv3_mnv2_dm05_pascal_quant.tflite"), coral_file("bird_segmentation.bmp")
    labels = coral_file("pascal_voc_segmentation_labels.txt")
    records, summary, run_dir, _ = pipeline(tmp_path, [image], f"model.path={model}", f"model.labels={labels}")
    (record,) = records
    assert record["kind"] == "segmentation" and "_mask" not in record
    classes = record["classes"]
    assert classes[0]["label"] == "background"
    assert next(c for c in classes if c["class"] != 0)["label"] == "bird"
    assert next(c for c in classes if c["label"] == "bird")["fraction"] == pytest.approx(0.171, abs=0.01)
    assert sum(c["fraction"] for c in classes) == pytest.approx(1.0, abs=1e-4)


def test_deeplab_mask_png_in_bird_colours(tmp_path):
    import cv2
    from ai_edge_litert.interpreter import Interpreter

    from coral_inference.plugins.registry import new_registry
    from coral_inference.tasks.decode import prepare_decoder
    from coral_inference.tasks.mask import mask_png

    interpreter = Interpreter(model_path=str(coral_file("deeplabv3_mnv2_dm05_pascal_quant.tflite")))
    interpreter.allocate_tensors()
    frame = cv2.imread(str(coral_file("bird_segmentation.bmp")))
    detail = interpreter.get_input_details()[0]
    rgb = cv2.resize(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), (513, 513), interpolation=cv2.INTER_LINEAR)
    interpreter.set_tensor(detail["index"], rgb[None].astype(np.uint8))
    interpreter.invoke()
    details = interpreter.get_output_details()
    dec = prepare_decoder("auto", details, {}, {}, new_registry())
    result = dec([interpreter.get_tensor(d["index"]) for d in details], frame.shape[1], frame.shape[0])
    mask = cv2.imdecode(np.frombuffer(mask_png(result["_mask"], 513, 513), np.uint8), cv2.IMREAD_COLOR)
    assert mask.shape == (513, 513, 3)
    bird_colour = [0, 128, 128]  # VOC class 3 (128, 128, 0) as BGR
    assert np.mean(np.all(mask == bird_colour, axis=-1)) == pytest.approx(0.171, abs=0.01)


def test_classifiers_give_what_they_gave_before(tmp_path):
    model, labels = coral_file("mobilenet_v1_0.25_128_quant.tflite"), coral_file("imagenet_labels.txt")
    images = [coral_file("cat.bmp"), coral_file("grace_hopper.bmp")]
    records, summary, _, _ = pipeline(tmp_path, images, f"model.path={model}", f"model.labels={labels}")
    top = [(r["predictions"][0]["class"], r["predictions"][0]["label"], r["predictions"][0]["score"])
           for r in records]
    assert [(t[0], t[1].split(",")[0]) for t in top] == [(283, "tiger cat"), (401, "academic gown")]
    assert [round(t[2], 2) for t in top] == [0.32, 0.19]
    assert all(len(r["predictions"]) == 3 for r in records)  # run.top_k=3, no threshold by default
    records, _, _, _ = pipeline(tmp_path / "t", images, f"model.path={model}", "run.score_threshold=0.3")
    assert [len(r["predictions"]) for r in records] == [1, 0]  # the threshold applies to classifications


@pytest.mark.parametrize("order", ["tf1", "tf2"])
@pytest.mark.parametrize("names", [True, False], ids=["names", "anonymous"])
def test_ssd_models_in_both_output_orders_decode_to_the_boxes_they_were_built_with(order, names):
    from ai_edge_litert.interpreter import Interpreter

    from coral_inference.plugins.registry import new_registry
    from coral_inference.tasks.decode import prepare_decoder

    interpreter = Interpreter(model_content=ssd_model(order, names))
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], np.zeros((1, 4, 4, 3), np.float32))
    interpreter.invoke()
    details = interpreter.get_output_details()
    outputs = [interpreter.get_tensor(d["index"]) for d in details]
    dec = prepare_decoder("auto", details, {0: "person", 1: "bicycle", 2: "car"}, {}, new_registry())
    assert dec.task == "detection" and ("output names" if names else "shapes and values") in dec.reason
    found = dec(outputs, 400, 200)["predictions"]
    assert [(p["class"], p["label"]) for p in found] == [(0, "person"), (2, "car"), (1, "bicycle")]
    for p, (cls, score, box) in zip(found, expected_boxes()):
        assert p["score"] == pytest.approx(score) and p["box"] == pytest.approx(box, abs=1e-5)
        assert p["box_px"] == [round(box[0] * 400), round(box[1] * 200), round(box[2] * 400), round(box[3] * 200)]


def test_ssd_model_through_the_pipeline(tmp_path):
    import cv2

    model = tmp_path / "ssd_tf2.tflite"
    model.write_bytes(ssd_model("tf2", names=False))
    labels = coral_file("coco_labels.txt")
    image = tmp_path / "grey.png"
    cv2.imwrite(str(image), np.full((100, 160, 3), 128, np.uint8))  # (128 - 127.5) / 127.5: encodings ~ 0
    records, summary, _, _ = pipeline(tmp_path, [image], f"model.path={model}", f"model.labels={labels}")
    (record,) = records
    assert record["kind"] == "detection" and summary["results"]["pipeline"]["streams"]["default"]["task"]["task"] == "detection"
    assert [(p["class"], p["label"]) for p in record["predictions"]] == [(0, "person"), (2, "car"), (1, "bicycle")]
    for p, (_, _, box) in zip(record["predictions"], expected_boxes()):
        assert p["box"] == pytest.approx(box, abs=0.002)


def unknown_model():
    """image [1, 4, 4, 3] -> RESHAPE -> [1, 6, 8]: outputs no rule knows."""
    tensors = [{"name": "image", "shape": [1, 4, 4, 3]},
               {"name": "shape", "shape": [3], "dtype": "int32", "data": np.asarray([1, 6, 8], np.int32)},
               {"name": "features", "shape": [1, 6, 8]}]
    return build_model(tensors, [0], [2], [{"op": 22, "inputs": [0, 1], "outputs": [2]}])


def test_a_model_no_rule_knows_runs_as_raw_with_one_warning(tmp_path):
    model = tmp_path / "unknown.tflite"
    model.write_bytes(unknown_model())
    records, summary, _, result = pipeline(tmp_path, [coral_file("cat.bmp")], f"model.path={model}")
    (record,) = records
    assert record["kind"] == "raw" and record["outputs"][0]["shape"] == [1, 6, 8] and "predictions" not in record
    assert result.stderr.count("no task recognises the outputs [1, 6, 8] float32") == 1
    assert "warning: model.task: no task recognises" in result.stderr and "Set model.task to" in result.stderr


def test_config_validate_and_model_inspect_show_the_task_and_why(tmp_path):
    movenet = coral_file("movenet_single_pose_lightning_ptq.tflite")
    mobilenet = coral_file("mobilenet_v1_0.25_128_quant.tflite")
    result = run_cli("coral-runtime", "config", "validate", f"model.path={movenet}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "model.task: pose (auto: one output [1, 1, 17, 3]: MoveNet single-pose" in result.stdout
    result = run_cli("coral-runtime", "config", "validate", f"model.path={mobilenet}", "model.task=pose",
                     "--json", cwd=tmp_path)
    assert result.returncode == 2
    (problem,) = json.loads(result.stdout)["error"]["problems"]
    assert problem["key"] == "model.task" and problem["value"] == "pose" and problem["source"] == "command line"
    assert "contradicts the model's outputs [1, 1001] uint8" in problem["message"]
    compiled = coral_file("mobilenet_v1_0.25_128_quant_edgetpu.tflite")  # read without the Edge TPU
    result = run_cli("coral-runtime", "model", "inspect", str(compiled), "--json", cwd=tmp_path)
    task = json.loads(result.stdout)["task"]
    assert task["task"] == "classification" and "1001 classes" in task["reason"]
    model = tmp_path / "unknown.tflite"
    model.write_bytes(unknown_model())
    result = run_cli("coral-runtime", "model", "inspect", str(model), cwd=tmp_path)
    assert result.returncode == 0 and "task (auto): raw: no task recognises" in result.stdout
    assert "warning: --task=auto" in result.stderr


def test_a_contradicting_task_stops_coral_run_with_exit_2(tmp_path):
    model = coral_file("mobilenet_v1_0.25_128_quant.tflite")
    result = run_cli("coral-run", "run.mode=pipeline", "backends=cpu", f"run.source={coral_file('cat.bmp')}",
                     f"model.path={model}", "model.task=segmentation", f"hydra.run.dir={tmp_path}/run", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "model.task: task 'segmentation' contradicts the model's outputs [1, 1001] uint8" in result.stderr


def test_model_io_reads_what_the_tflite_package_reads():
    from coral_inference.backends.model_io import read_io
    from coral_inference.backends.models import inspect_content

    for content in (ssd_model("tf1"), ssd_model("tf2", names=False), unknown_model()):
        info = inspect_content(content)
        assert read_io(content) == {"inputs": info["inputs"], "outputs": info["outputs"]}
    with pytest.raises(ValueError, match="malformed"):
        read_io(b"\x10\x00\x00\x00TFL3" + b"\xff" * 8)


def test_each_named_model_gets_its_task_checked(tmp_path):
    from coral_inference.config.schema import CoralConfig

    if "models" not in CoralConfig.__dataclass_fields__:
        pytest.skip("no models section in this schema")
    movenet = coral_file("movenet_single_pose_lightning_ptq.tflite")
    result = run_cli("coral-runtime", "config", "validate", f"models.side.path={movenet}", cwd=tmp_path)
    assert result.returncode == 0 and "models.side.task: pose (auto:" in result.stdout
    result = run_cli("coral-runtime", "config", "validate", f"models.side.path={movenet}",
                     "models.side.task=classification", cwd=tmp_path)
    assert result.returncode == 2
    assert "models.side.task: task 'classification' contradicts the model's outputs [1, 1, 17, 3]" in result.stderr


def test_mask_pngs_from_the_stream_manager(tmp_path):
    import cv2

    model, image = coral_file("deeplabv3_mnv2_dm05_pascal_quant.tflite"), coral_file("bird_segmentation.bmp")
    records, summary, run_dir, _ = pipeline(tmp_path, [image], f"model.path={model}", "run.mask_png=true")
    (record,) = records
    assert record["mask"] == "masks/default/000000.png" and "_mask" not in record
    mask = cv2.imread(str(run_dir / record["mask"]))
    assert mask.shape == (513, 513, 3)
    assert np.mean(np.all(mask == [0, 128, 128], axis=-1)) == pytest.approx(0.171, abs=0.01)  # bird (VOC 3)
    records, _, run_dir, _ = pipeline(tmp_path / "off", [image], f"model.path={model}")
    assert "mask" not in records[0] and not (run_dir / "masks").exists()  # off by default
