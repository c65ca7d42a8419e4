"""Model tasks on arrays whose answer is known: which task auto picks (and when it refuses), each decoder,
labels (files and packed in a model), drawing. Real models: tests/tasks/test_real_models.py."""

import zipfile

import numpy as np
import pytest

from coral_inference.errors import ConfigError
from coral_inference.plugins.registry import new_registry
from coral_inference.tasks.decode import prepare_decoder


def out(shape, dtype="float32", name="out", quantization=(0.0, 0)):
    return {"name": name, "shape": np.asarray(shape, np.int32), "dtype": np.dtype(dtype).type,
            "quantization": quantization}


SSD = [out([1, 10, 4]), out([1, 10]), out([1, 10]), out([1])]
AUTO = [
    ([out([1, 1001], "uint8", quantization=(1 / 256, 0))], "classification"),
    ([out([1, 4])], "classification"),
    ([out([1, 1, 1, 10])], "classification"),
    (SSD, "detection"),
    ([out([1, 84, 8400])], "detection"),
    ([out([1, 2100, 7], "int8", quantization=(0.01, -128))], "detection"),
    ([out([1, 513, 513], "int64")], "segmentation"),
    ([out([1, 64, 64, 21], "uint8", quantization=(0.1, 0))], "segmentation"),
    ([out([1, 1, 17, 3])], "pose"),
    ([out([1, 6, 56])], "pose"),
]


@pytest.mark.parametrize("details,task", AUTO, ids=[t + str(list(d[0]["shape"])) for d, t in AUTO])
def test_auto_recognises_each_signature_and_only_one_task_claims_it(details, task):
    dec = prepare_decoder("auto", details, {}, {}, new_registry())
    assert (dec.task, dec.warning) == (task, None) and dec.reason.startswith("auto: ")
    for other in ("classification", "detection", "segmentation", "pose"):
        if other != task:
            with pytest.raises(ConfigError):
                prepare_decoder(other, details, {}, {}, new_registry())


@pytest.mark.parametrize("details", [[out([1, 10, 10])], [out([1, 10]), out([1, 20])], [out([1, 513, 513], "uint8",
                                     quantization=(0.5, 0))], [out([1, 8, 6])], []])
def test_outputs_no_rule_knows_run_as_raw_with_one_warning_naming_the_key(details):
    dec = prepare_decoder("auto", details, {1: "cat"}, {}, new_registry(), key="models.front.task")
    assert dec.task == "raw" and "models.front.task" in dec.warning and "pose" in dec.warning
    arrays = [np.full([int(x) for x in d["shape"]], 3, np.dtype(d["dtype"])) for d in details]
    result = dec(arrays, 64, 48)
    assert result["kind"] == "raw" and set(result) == {"kind", "outputs"}
    for item, d in zip(result["outputs"], details):
        assert item["shape"] == [int(x) for x in d["shape"]] and "label" not in item and "class" not in item


def test_a_task_that_contradicts_the_outputs_is_a_config_error_naming_the_key():
    with pytest.raises(ConfigError) as caught:
        prepare_decoder("pose", [out([1, 1001], "uint8")], {}, {}, new_registry(), key="model.task")
    problem = caught.value.problems[0]
    assert problem.key == "model.task" and problem.value == "pose" and caught.value.exit_code == 2
    assert "[1, 1001] uint8" in problem.message and "auto would choose classification" in problem.expected
    with pytest.raises(ConfigError) as caught:
        prepare_decoder("poses", [out([1, 1, 17, 3])], {}, {}, new_registry())
    assert "model.task: no task 'poses'; did you mean 'pose'?" in caught.value.render()


def test_raw_can_be_chosen_for_any_model():
    dec = prepare_decoder("raw", [out([1, 1001], "uint8", quantization=(0.5, 10))], {}, {}, new_registry())
    result = dec([np.asarray([[10, 12, 14]], np.uint8)], 1, 1)
    assert result["outputs"][0] | {} == {"name": "out", "shape": [1, 3], "dtype": "uint8", "min": 0.0, "max": 2.0,
                                         "mean": 1.0}


def test_a_plugin_decoder_is_chosen_by_auto_and_can_be_set():
    class Heatmap:
        def match(self, details):
            return "one [1, 32, 32, 17] output: heatmaps" if [list(d["shape"]) for d in details] == [[1, 32, 32, 17]] \
                else None

        def decode(self, outputs, details, options):
            return {"kind": "heatmap", "peak": float(outputs[0].max()), "size": [options["width"], options["height"]]}

    registry = new_registry()
    details = [out([1, 32, 32, 17])]
    assert prepare_decoder("auto", details, {}, {}, registry).task == "segmentation"  # built-ins only
    registry.add("decoder", "heatmap", Heatmap(), source="plugin x")
    dec = prepare_decoder("auto", details, {}, {}, registry)
    assert dec.task == "raw" and "several tasks match (heatmap, segmentation)" in dec.warning
    dec = prepare_decoder("heatmap", details, {}, {}, registry)
    assert dec([np.ones((1, 32, 32, 17), np.float32)], 20, 10) == {"kind": "heatmap", "peak": 1.0, "size": [20, 10]}


def test_classification_is_dequantized_with_top_k_and_the_score_threshold():
    details = [out([1, 5], "uint8", quantization=(0.5, 128))]
    scores = np.asarray([[200, 130, 128, 250, 140]], np.uint8)  # 36, 1, 0, 61, 6
    labels = {0: "a", 3: "d"}
    top = prepare_decoder("auto", details, labels, {"top_k": 3}, new_registry())([scores], 1, 1)["predictions"]
    assert [(p["class"], p["label"], p["score"]) for p in top] == [(3, "d", 61.0), (0, "a", 36.0), (4, None, 6.0)]
    kept = prepare_decoder("auto", details, labels, {"top_k": 3, "score_threshold": 10}, new_registry())
    assert [p["class"] for p in kept([scores], 1, 1)["predictions"]] == [3, 0]


def test_ssd_roles_by_values_and_by_pycoral_order_when_names_do_not_tell():
    boxes = np.asarray([[[0.1, 0.2, 0.5, 0.6], [0.0, 0.0, 1.0, 1.0]]], np.float32)  # ymin, xmin, ymax, xmax
    classes, scores, count = np.asarray([[3.0, 1.0]], np.float32), np.asarray([[0.9, 0.2]], np.float32), \
        np.asarray([2.0], np.float32)
    anonymous = [out([1, 2, 4], name="a"), out([1, 2], name="b"), out([1, 2], name="c"), out([1], name="d")]
    options = {"score_threshold": 0.5}
    for arrays in ([boxes, classes, scores, count], [boxes, scores, classes, count]):  # told apart by values
        found = prepare_decoder("detection", anonymous, {3: "car"}, options, new_registry())(arrays, 200, 100)
        assert found["predictions"] == [{"class": 3, "label": "car", "score": 0.9, "box": [0.2, 0.1, 0.6, 0.5],
                                         "box_px": [40, 10, 120, 50]}]
    # both integral: pycoral's order. Count last = TF1: classes, then scores.
    ones = np.asarray([[1.0, 0.0]], np.float32)
    tf1 = prepare_decoder("detection", anonymous, {}, {"score_threshold": 0.5}, new_registry())
    assert [p["class"] for p in tf1([boxes, classes, ones, count], 10, 10)["predictions"]] == [3]
    # TF2 (count not last): scores first, classes last
    tf2_details = [out([1, 2]), out([1, 2, 4]), out([1]), out([1, 2])]
    tf2 = prepare_decoder("detection", tf2_details, {}, {"score_threshold": 0.5}, new_registry())
    assert [p["class"] for p in tf2([ones, boxes, count, classes], 10, 10)["predictions"]] == [3]


def _yolo(boxes, classes=4, n=100, fill=0.0):
    """[1, 4 + C, N] with the given (cx, cy, w, h, class, score) candidates, the rest scoring ``fill``."""
    head = np.zeros((4 + classes, n), np.float32)
    head[4:, :] = fill
    head[:4, :] = 0.5
    for i, (cx, cy, w, h, cls, score) in enumerate(boxes):
        head[:4, i] = (cx, cy, w, h)
        head[4 + cls, i] = score
    return head[None]


YOLO_BOXES = [(0.3, 0.3, 0.2, 0.2, 1, 0.9), (0.31, 0.3, 0.2, 0.2, 1, 0.8),  # same class, overlapping: one kept
              (0.3, 0.3, 0.2, 0.2, 2, 0.7),  # another class on the same spot: kept
              (0.8, 0.7, 0.1, 0.2, 0, 0.6), (0.5, 0.5, 0.1, 0.1, 3, 0.3)]  # below the threshold
EXPECTED = [(1, 0.9, [0.2, 0.2, 0.4, 0.4]), (2, 0.7, [0.2, 0.2, 0.4, 0.4]), (0, 0.6, [0.75, 0.6, 0.85, 0.8])]


def _found(result):
    return [(p["class"], round(p["score"], 4), [round(v, 4) for v in p["box"]]) for p in result["predictions"]]


@pytest.mark.parametrize("layout", ["channels_first", "transposed"])
def test_yolo_boxes_are_decoded_and_suppressed_per_class(layout):
    head = _yolo(YOLO_BOXES)
    if layout == "transposed":
        head = head.transpose(0, 2, 1).copy()
    dec = prepare_decoder("auto", [out(head.shape)], {1: "bicycle"}, {"score_threshold": 0.5, "iou_threshold": 0.5},
                          new_registry())
    result = dec([head], 640, 480)
    assert dec.task == "detection" and "YOLO" in dec.reason and _found(result) == EXPECTED
    assert result["predictions"][0]["label"] == "bicycle" and result["predictions"][0]["box_px"] == [128, 96, 256, 192]
    capped = prepare_decoder("detection", [out(head.shape)], {}, {"score_threshold": 0.5, "max_detections": 2},
                             new_registry())([head], 640, 480)
    assert [p["score"] for p in capped["predictions"]] == pytest.approx([0.9, 0.7])
    loose = prepare_decoder("detection", [out(head.shape)], {}, {"score_threshold": 0.5, "iou_threshold": 0.95},
                            new_registry())([head], 640, 480)
    assert len(loose["predictions"]) == 4  # the overlapping same-class box survives a 0.95 IoU threshold


def test_yolo_pixel_boxes_and_quantized_scores():
    n = 2100  # a 320 x 320 input at strides 8, 16, 32
    pixels = _yolo([(cx * 320, cy * 320, w * 320, h * 320, c, s) for cx, cy, w, h, c, s in YOLO_BOXES], n=n)
    for options in ({}, {"input_size": (320, 320)}):
        dec = prepare_decoder("auto", [out(pixels.shape)], {}, {"score_threshold": 0.5, **options}, new_registry())
        assert _found(dec([pixels], 100, 100)) == EXPECTED
    scale, zero = 1 / 255, -128  # int8 over 0..1: normalized boxes and scores
    quantized = np.clip(np.round(_yolo(YOLO_BOXES, n=n) / scale) + zero, -128, 127).astype(np.int8)
    dec = prepare_decoder("auto", [out(quantized.shape, "int8", quantization=(scale, zero))], {},
                          {"score_threshold": 0.5}, new_registry())
    found = [(c, round(s, 2), [round(v, 2) for v in b]) for c, s, b in _found(dec([quantized], 100, 100))]
    assert found == [(c, round(s, 2), [round(v, 2) for v in b]) for c, s, b in EXPECTED]


def test_segmentation_scores_per_pixel_give_class_fractions_and_a_mask():
    scores = np.zeros((1, 8, 10, 3), np.float32)
    scores[..., 0] = 1.0  # background
    scores[0, :4, :5, 2] = 2.0  # a quarter: class 2
    scores[0, 7, :, 1] = 3.0  # the last row: class 1
    dec = prepare_decoder("auto", [out(scores.shape)], {0: "background", 1: "aeroplane", 2: "bicycle"}, {},
                          new_registry())
    result = dec([scores], 20, 16)
    assert result["classes"] == [{"class": 0, "label": "background", "fraction": 0.625},
                                 {"class": 2, "label": "bicycle", "fraction": 0.25},
                                 {"class": 1, "label": "aeroplane", "fraction": 0.125}]
    assert result["_mask"].shape == (8, 10) and result["_mask"][0, 0] == 2 and result["_mask"][7, 9] == 1


def test_multi_pose_keeps_confident_people_and_keypoints():
    people = np.zeros((1, 6, 56), np.float32)
    people[0, 0, :51] = np.tile([0.5, 0.25, 0.9], 17)  # y, x, score
    people[0, 0, 2] = 0.05  # the nose is not confident
    people[0, 0, 51:] = [0.1, 0.2, 0.9, 0.4, 0.8]  # ymin, xmin, ymax, xmax, score
    people[0, 1, 55] = 0.1  # a second person below the threshold
    result = prepare_decoder("auto", [out(people.shape)], {}, {"min_keypoint_score": 0.3}, new_registry())(
        [people], 200, 100)
    assert len(result["poses"]) == 1
    pose = result["poses"][0]
    assert pose["score"] == pytest.approx(0.8) and pose["box"] == [0.2, 0.1, 0.4, 0.9]
    assert pose["box_px"] == [40, 10, 80, 90] and len(pose["keypoints"]) == 17 and pose["label"] == "person"
    # every keypoint is reported, in the model's order; the unconfident one is only not visible
    assert pose["keypoints"][0] == {"name": "nose", "x": 50.0, "y": 50.0, "nx": 0.25, "ny": 0.5,
                                    "score": pytest.approx(0.05), "visible": False}
    assert pose["keypoints"][1] == {"name": "left_eye", "x": 50.0, "y": 50.0, "nx": 0.25, "ny": 0.5, "score": 0.9,
                                    "visible": True}


def test_single_pose_box_is_made_of_the_visible_keypoints_only():
    rows = np.zeros((1, 1, 17, 3), np.float32)
    rows[0, 0, :, :] = [0.5, 0.5, 0.9]
    rows[0, 0, 3] = [0.2, 0.3, 0.9]  # left_ear, up and left
    rows[0, 0, 16] = [0.95, 0.9, 0.1]  # right_ankle: far away but not confident
    result = prepare_decoder("pose", [out(rows.shape)], {}, {"min_keypoint_score": 0.3}, new_registry())(
        [rows], 100, 200)
    (pose,) = result["poses"]
    assert len(pose["keypoints"]) == 17 and [k["visible"] for k in pose["keypoints"]].count(False) == 1
    assert pose["box"] == [0.3, 0.2, 0.5, 0.5] and pose["box_px"] == [30, 40, 50, 100]


def test_options_from_the_run_settings():
    from types import SimpleNamespace

    from coral_inference.tasks.decode import options_from

    run = SimpleNamespace(top_k=2, score_threshold=None, iou_threshold=0.3, max_detections=7, min_keypoint_score=0.1)
    assert options_from(run) == {"top_k": 2, "score_threshold": None, "iou_threshold": 0.3, "max_detections": 7,
                                 "min_keypoint_score": 0.1}
    image = {"shape": np.asarray([1, 240, 320, 3])}
    assert options_from(run, [image])["input_size"] == (320, 240)
    assert "input_size" not in options_from(run, [{"shape": [1, 8]}])


# --- labels ---------------------------------------------------------------------------------------
def test_label_file_formats(tmp_path):
    from coral_inference.tasks.labels import load_labels

    (tmp_path / "plain.txt").write_text("person\nbicycle\n\ncar\n")
    (tmp_path / "numbered.txt").write_text("0 person\n2: car\n17  hot dog\n")
    assert load_labels(str(tmp_path / "plain.txt")) == {0: "person", 1: "bicycle", 3: "car"}
    assert load_labels(str(tmp_path / "numbered.txt")) == {0: "person", 2: "car", 17: "hot dog"}


def test_labels_packed_in_the_model_are_read_when_no_file_is_set(tmp_path):
    from coral_inference.backends.selftest import build_selftest_model
    from coral_inference.tasks.labels import load_labels

    model = tmp_path / "with_metadata.tflite"
    model.write_bytes(build_selftest_model())
    with zipfile.ZipFile(model, "a") as archive:  # appended, as the TFLite metadata writer does
        archive.writestr("README.txt", "not labels")
        archive.writestr("labelmap.txt", "zero\none\ntwo\nthree\n")
    assert load_labels(None, str(model)) == {0: "zero", 1: "one", 2: "two", 3: "three"}
    (tmp_path / "mine.txt").write_text("a\nb\n")
    assert load_labels(str(tmp_path / "mine.txt"), str(model)) == {0: "a", 1: "b"}  # model.labels wins
    plain = tmp_path / "plain.tflite"
    plain.write_bytes(build_selftest_model())
    assert load_labels(None, str(plain)) == {} and load_labels(None, "builtin:selftest") == {}
    with zipfile.ZipFile(plain, "a") as archive:
        archive.writestr("labels.txt", "caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError) as caught:
        load_labels(None, str(plain))
    assert caught.value.exit_code == 2 and "model.path" in caught.value.message and "labels.txt" in caught.value.message


def test_bad_label_files_are_config_errors_naming_the_key_and_file(tmp_path):
    import os

    from coral_inference.tasks.labels import load_labels

    (tmp_path / "latin1.txt").write_bytes("caf\xe9\n".encode("latin-1"))
    (tmp_path / "big.txt").write_bytes(b"x\n" * (600 * 1024))
    os.mkfifo(tmp_path / "fifo")  # must not block
    for name, words in (("latin1.txt", "not UTF-8"), ("big.txt", "too large"), ("fifo", "FIFO"),
                        ("missing.txt", "not found"), ("", "folder")):
        with pytest.raises(ConfigError) as caught:
            load_labels(str(tmp_path / name))
        assert caught.value.exit_code == 2 and caught.value.message.startswith("model.labels: ")
        assert words in caught.value.message


# --- drawing --------------------------------------------------------------------------------------
def test_draw_returns_an_annotated_copy_for_every_kind():
    from coral_inference.tasks.draw import draw

    frame = np.full((100, 200, 3), 128, np.uint8)
    mask = np.zeros((10, 20), np.uint8)
    mask[:5, :10] = 3
    results = [
        {"kind": "detection", "predictions": [{"class": 2, "label": "car", "score": 0.9, "box": [0.1, 0.2, 0.5, 0.8],
                                               "box_px": [20, 20, 100, 80]}]},
        {"kind": "segmentation", "classes": [{"class": 3, "label": "bird", "fraction": 0.25}], "_mask": mask},
        {"kind": "pose", "poses": [{"score": 0.5, "keypoints": [
            {"name": "left_shoulder", "x": 50, "y": 50, "nx": 0.25, "ny": 0.5, "score": 0.9},
            {"name": "left_elbow", "x": 150, "y": 50, "nx": 0.75, "ny": 0.5, "score": 0.9}]}]},
        {"kind": "classification", "predictions": [{"class": 1, "label": "cat", "score": 0.5}]},
        {"kind": "raw", "outputs": []},
        {"kind": "a_plugin_task"},
    ]
    for result in results:
        drawn = draw(frame, result)
        assert drawn.shape == frame.shape and (drawn != 128).any(), result["kind"]
    assert (frame == 128).all()  # never the frame itself
    box = draw(frame, results[0])
    assert (box[50, 20] != 128).any() and (box[50, 60] == 128).all()  # the box edge, not its inside
    seg = draw(frame, results[1])
    assert (seg[40, 80] != 128).any() and (seg[90, 190] == 128).all()  # class 3 blended, background kept
    pose = draw(frame, results[2])
    assert (pose[50, 100] != 128).any()  # the shoulder-elbow bone


def test_mask_png_is_a_colour_image_of_the_class_map():
    import cv2

    from coral_inference.tasks.mask import mask_png, palette

    classes = np.asarray([[0, 3], [15, 3]], np.uint8)
    image = cv2.imdecode(np.frombuffer(mask_png(classes, 4, 4), np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (4, 4, 3)
    assert image[0, 0].tolist() == [0, 0, 0] and image[0, 3].tolist() == palette()[3][::-1].tolist()
    assert image[3, 0].tolist() == palette()[15][::-1].tolist()


# --- any numbers in, strict JSON out ----------------------------------------------------------------
def _strict(result):
    import json

    return json.dumps({k: v for k, v in result.items() if not k.startswith("_")}, allow_nan=False)


SMALL = [([out([1, 5], "uint8", quantization=(0.1, 3))], "classification"), ([out([1, 4])], "classification"),
         ([out([1, 10, 4]), out([1, 10]), out([1, 10]), out([1])], "detection"), ([out([1, 7, 64])], "detection"),
         ([out([1, 9, 8], "int64")], "segmentation"), ([out([1, 8, 8, 3])], "segmentation"),
         ([out([1, 1, 17, 3])], "pose"), ([out([1, 6, 56])], "pose"), ([out([1, 6, 8])], "raw")]


@pytest.mark.parametrize("details,task", SMALL, ids=[f"{t}-{i}" for i, (d, t) in enumerate(SMALL)])
def test_any_output_values_decode_to_strict_json(details, task):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    shapes = [[int(x) for x in d["shape"]] for d in details]
    dtypes = [np.dtype(d["dtype"]) for d in details]
    dec = prepare_decoder(task, details, {0: "zero"}, {"score_threshold": None}, new_registry())
    special = st.sampled_from([np.nan, np.inf, -np.inf, 0.0, 1.0, -1.0, 1e30, -1e30, 0.5, 3.0, 1e-30])

    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(special, min_size=1, max_size=8), st.integers(0, 2 ** 32 - 1))
    def check(values, seed):
        rng = np.random.default_rng(seed)
        arrays = []
        for shape, dtype in zip(shapes, dtypes):
            if np.issubdtype(dtype, np.integer):
                info = np.iinfo(dtype)
                arrays.append(rng.integers(max(info.min, -2 ** 40), min(info.max, 2 ** 40), size=shape, dtype=dtype))
            else:
                arrays.append(rng.choice(np.asarray(values, np.float32), size=shape))
        _strict(dec(arrays, 64, 48))

    check()
