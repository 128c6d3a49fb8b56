"""What a terminal prediction means for the caller: a video, or an error that says why not.

The wording of a failed generation is shared: the client raises it, and the Airflow
operator, sensor and trigger report it, so a failure reads the same in a traceback, a
task log and a trigger event. :func:`failure_message` is that one wording.
"""

from __future__ import annotations

from .errors import GenerationFailedError, InvalidResponseError
from .values import Prediction

__all__ = ["check_outcome", "failure_message"]


def failure_message(prediction: Prediction) -> str:
    """``prediction <id> <status> (code <n>): <the API's reason>``, for a failed prediction."""
    code = f" (code {prediction.error_code})" if prediction.error_code is not None else ""
    return (
        f"prediction {prediction.id} {prediction.status.value}{code}: "
        f"{prediction.error or 'the API gave no reason'}"
    )


def check_outcome(prediction: Prediction) -> Prediction:
    """Raise for a terminal prediction that did not produce a usable video."""
    if prediction.is_failure:
        raise GenerationFailedError(
            failure_message(prediction),
            prediction=prediction,
            error=prediction.error,
            code=prediction.error_code,
        )
    if prediction.is_success and not prediction.outputs:
        raise InvalidResponseError(
            f"prediction {prediction.id} completed without any output URL; "
            "fetch it again later or contact WaveSpeed support with this id",
            prediction_id=prediction.id,
        )
    return prediction
