"""The start-up floor that imports nothing of ours: a bare Hydra app composing the same conf/ YAML tree,
without our schema nodes, and printing it. Made by ``make_floor_conf`` (bench/floor_conf.py).

    python bench/hydra_floor.py CONF_DIR [hydra overrides...]      # a run: what coral-run's Hydra part costs
    python bench/hydra_floor.py --compose CONF_DIR                 # compose API only: config validate's floor
"""

import sys

if __name__ == "__main__":
    compose_only = sys.argv[1] == "--compose"
    if compose_only:
        del sys.argv[1]
    conf = sys.argv.pop(1)
    if compose_only:
        from hydra import compose, initialize_config_dir

        with initialize_config_dir(config_dir=conf, version_base="1.3"):
            cfg = compose("config", overrides=sys.argv[1:])
        print(cfg.platform.name)
    else:
        import hydra
        from omegaconf import OmegaConf

        @hydra.main(config_path=conf, config_name="config", version_base="1.3")
        def app(cfg):
            print(OmegaConf.to_yaml(cfg))

        app()
