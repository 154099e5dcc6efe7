"""The systolic unit: one of the two dataflows, chosen by the config."""

from accelgen.systolic_config import SystolicConfig

from .output_stationary import OutputStationaryArray
from .weight_stationary import WeightStationaryArray


def systolic_array(config: SystolicConfig):
    if config.output_stationary:
        return OutputStationaryArray(config)
    return WeightStationaryArray(config)
