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
        rc.patches["opencv_threads"] = False  # read-only mapping


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


def _plain(value):
    import dataclasses
    from collections.abc import Mapping

    from coral_inference.runtime.config import Frozen

    if isinstance(value, Frozen):
        return {f: _plain(getattr(value, f)) for f in value._fields}
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def test_frozen_settings_hold_what_omegaconf_to_object_builds(compose):
    """The twins are built from the resolved container by the schema's field types: the same
    values, enum members and nesting as OmegaConf's own conversion to the schema dataclasses."""
    from omegaconf import OmegaConf

    from coral_inference.config.schema import Fallback

    cfg = compose("services=full", "services.webrtc.ice_servers=[{urls:[stun:a,stun:b],username:u}]",
                  "run.mode=bench", "+plugins.config.p={a:[1,{b:2}]}")
    OmegaConf.set_struct(cfg, False)  # a plugin's backend under backends.extra
    cfg = OmegaConf.merge(cfg, {"backends": {"extra": {"mine": {"kind": "cpu", "devices": ["usb:0"], "fallback": "cpu"}}}})
    rc = RuntimeConfig.from_dictconfig(cfg)
    assert _plain(rc.settings) == _plain(OmegaConf.to_object(cfg))
    assert rc.run.mode == "bench" and rc.backends.extra["mine"].fallback is Fallback.cpu
    assert rc.services.webrtc.ice_servers[0].urls == ("stun:a", "stun:b")
    assert rc.backends.extra["mine"].devices == ("usb:0",) and rc.plugins.config["p"]["a"][1]["b"] == 2
    assert rc.model == RuntimeConfig.from_dictconfig(cfg).model and "path=" in repr(rc.model)


def test_provenance_of_the_recorded_composition_equals_a_fresh_computation(tmp_path, monkeypatch):
    """chains() reads the defaults list and configs Hydra's own composition loaded (recorded per
    config loader) instead of computing them again: same sources, layer by layer."""
    from coral_inference.config import provenance
    from coral_inference.config.descriptor import RuntimeDescriptor, merge

    descriptor = tmp_path / "deploy.yaml"
    descriptor.write_text("platform: cpu\nrun:\n  warmup: 3\nservices:\n  metrics:\n    token: abc\n")
    equal = []
    chains = provenance.chains

    def both(loader, config_name, merged):
        recorded = chains(loader, config_name, merged)
        del provenance._RECORDED[loader]  # KeyError: the composition was not recorded
        equal.append(recorded == chains(loader, config_name, merged))
        return recorded

    monkeypatch.setattr(provenance, "chains", both)
    composition = merge(RuntimeDescriptor.from_file(descriptor),
                        RuntimeDescriptor.from_env({"CORAL_RUN__ITERATIONS": "5"}),
                        RuntimeDescriptor.from_cli(["backends=cpu", "patches.webrtc=false"])).compose()
    assert equal == [True]
    assert composition.sources["run.warmup"][-1]["source"] == f"file {descriptor}"
    assert composition.sources["run.iterations"][-1]["source"] == "env CORAL_RUN__ITERATIONS"
    assert [c["source"] for c in composition.sources["patches.webrtc"]] == ["conf/patches/default.yaml", "command line"]
