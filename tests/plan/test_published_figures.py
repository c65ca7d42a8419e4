"""Coral's published device times by file name (plan/published.py): a name matches only the model it names;
anything else is unknown with a reason, never a guess."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coral_inference.plan.published import lookup


@pytest.mark.parametrize("name,ms", [
    ("mobilenet_v2_1.0_224_quant_edgetpu.tflite", 2.6),
    ("mobilenet_v1_1.0_224_quant_edgetpu.tflite", 2.4),
    ("ssd_mobilenet_v2_coco_quant_postprocess_edgetpu.tflite", 7.2),
    ("ssd_mobilenet_v1_coco_quant_postprocess_edgetpu.tflite", 6.5),
    ("deeplabv3_mnv2_pascal_quant_edgetpu.tflite", 52.0),
    ("efficientnet-edgetpu-S_quant_edgetpu.tflite", 5.1),
    ("ssdlite_mobiledet_coco_qat_postprocess_edgetpu.tflite", 9.1),
    ("efficientdet_lite0_320_ptq_edgetpu.tflite", 37.4),
    ("movenet_single_pose_lightning_ptq_edgetpu.tflite", 7.1),
    ("movenet_single_pose_thunder_ptq_edgetpu.tflite", 13.8),
])
def test_the_published_models(name, ms):
    found = lookup(f"/models/{name}", "usb3")
    assert found.ms == ms and found.source.startswith("published: ") and "coral.ai/" in found.source


@pytest.mark.parametrize("name", ["mobilenet_v1_0.25_128_quant_edgetpu.tflite",
                                  "deeplabv3_mnv2_dm05_pascal_quant_edgetpu.tflite", "my_detector_edgetpu.tflite"])
def test_a_model_coral_does_not_publish_is_unknown(name):
    found = lookup(name, "usb3")
    assert found.ms is None and "no published figure" in found.source and "--bench" in found.source


def test_segments_are_unknown_even_when_the_whole_model_is_published():
    found = lookup("ssd_mobilenet_v2_coco_quant_postprocess_segment_0_of_2_edgetpu.tflite", "usb3")
    assert found.ms is None and "7.2 ms for the whole model" in found.source


def test_the_columns():
    name = "ssd_mobilenet_v2_coco_quant_postprocess_edgetpu.tflite"
    assert lookup(name, "devboard").ms == 14.0 and lookup(name, "usb2").ms == pytest.approx(21.6)
    assert "estimate" in lookup(name, "usb2").source and "PCIe" in lookup(name, "usb3", pcie=True).source
    dev = lookup("movenet_single_pose_thunder_ptq_edgetpu.tflite", "devboard")
    assert dev.ms == 13.8 and "publishes none" in dev.source


@given(st.text(max_size=80))
def test_any_file_name_gets_a_figure_with_its_source_or_a_reason(name):
    found = lookup(name, "usb3")
    assert found.source and (found.ms is None or (found.ms > 0 and found.source.startswith("published: ")))
