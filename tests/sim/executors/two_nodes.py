"""Run by test_ray_executor.py in its own process: a two-node Ray cluster
simulated on this machine (``ray.cluster_utils.Cluster``), the 4-DC market
with its DCs in shards on both nodes, against the in-process run.  Prints one
JSON object."""

from __future__ import annotations

import json

import numpy as np
import ray
from ray.cluster_utils import Cluster

from dcmarket.sim.executors import InProcess, executor_of
from dcmarket.sim.p2p.model import P2PMarketModel
from dcmarket.sim.studies import load_any


def main() -> None:
    cluster = Cluster(initialize_head=True,
                      head_node_args={"num_cpus": 1, "include_dashboard": False})
    cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, log_to_driver=False)
    try:
        scenario = load_any("p2p_4dc_fixed_lmp")[1]
        here = P2PMarketModel(scenario, executor=InProcess())
        expected = here.run()
        model = P2PMarketModel(scenario, executor=executor_of("ray", agents_per_shard=2))
        result = model.run()
        placement = model.host.placement()
        log_here, log_ray = here.bus.log_frame(), model.bus.log_frame()
        print(json.dumps({
            "nodes": len({n["NodeID"] for n in ray.nodes() if n["Alive"]}),
            "placement": placement,
            "rounds": [expected.rounds, result.rounds],
            "welfare": [expected.welfare, result.welfare],
            "max_price_difference": float(np.max(np.abs(expected.link_prices
                                                        - result.link_prices))),
            "same_log": bool(log_here.drop(columns="value").equals(log_ray.drop(columns="value"))
                             and np.array_equal(log_here.value.values, log_ray.value.values)),
        }))
    finally:
        ray.shutdown()
        cluster.shutdown()


if __name__ == "__main__":
    main()
