"""Floor 1 of the start-up benchmark: a bare Hydra app composing the same conf/ and printing it."""

import hydra
from omegaconf import OmegaConf

from coral_inference import CONF_MODULE, HYDRA_VERSION_BASE
from coral_inference.config.schema import register


@hydra.main(config_path=f"pkg://{CONF_MODULE}", config_name="config", version_base=HYDRA_VERSION_BASE)
def app(cfg):
    print(OmegaConf.to_yaml(cfg))


if __name__ == "__main__":
    register()  # conf/config.yaml's defaults start with the schema
    app()
