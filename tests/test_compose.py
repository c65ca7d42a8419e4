"""Every group option composes and converts to a RuntimeConfig (Hydra's compose API)."""

from importlib.resources import files

import pytest

from coral_inference import CONF_MODULE
from coral_inference.config.schema import GROUPS
from coral_inference.runtime.config import RuntimeConfig


def _options(group: str) -> list[str]:
    return sorted(p.name[:-5] for p in (files(CONF_MODULE) / group).iterdir() if p.name.endswith(".yaml"))


@pytest.mark.parametrize("group,option", [(g, o) for g in GROUPS for o in _options(g)])
def test_every_option_composes_and_converts(compose, group, option):
    cfg = compose(f"{group}={option}")
    rc = RuntimeConfig.from_dictconfig(cfg)
    assert rc.data[group] is not None
    if group == "platform":
        assert rc.platform.name == option
    if group == "backends":
        assert rc.backends.enabled == (option,)


def test_runtime_config_is_frozen(compose):
    import dataclasses

    rc = RuntimeConfig.from_dictconfig(compose())
    with pytest.raises(dataclasses.FrozenInstanceError):
        rc.model.path = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        rc.backends.enabled[0] = "cpu"  # tuples
    with pytest.raises(TypeError):
        rc.patches["camera"] = False  # read-only mapping


def test_unknown_key_fails_at_composition_naming_it(compose):
    from hydra.errors import ConfigCompositionException

    with pytest.raises(ConfigCompositionException, match="num_thread"):
        compose("backends.cpu.num_thread=2")


def test_wrong_type_fails_at_composition(compose):
    from hydra.errors import ConfigCompositionException

    with pytest.raises(ConfigCompositionException, match="warmup"):
        compose("run.warmup=many")


def test_services_schema_present_whatever_the_preset(compose):
    rc = RuntimeConfig.from_dictconfig(compose("services=none", "services.metrics.influxdb_url=http://127.0.0.1:8086"))
    assert rc.services.metrics.influxdb_url == "http://127.0.0.1:8086"
    assert rc.services.recording.enabled is False and rc.services.webrtc.ice_servers == ()


def test_platform_options_describe_their_hardware(compose):
    dev = RuntimeConfig.from_dictconfig(compose("platform=coral_devboard")).platform
    usb = RuntimeConfig.from_dictconfig(compose("platform=usb_accelerator")).platform
    assert dev.max_devices > 1 and set(dev.edgetpu_types) == {"pci", "usb"}
    assert usb.max_devices == 1 and usb.edgetpu_types == ("usb",)
    assert dev.delegate_library == "libedgetpu.so.1"
