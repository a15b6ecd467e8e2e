"""Why the Docker engine cannot be used, in a user's words.

docker-py's errors read "Error while fetching server API version: ('Connection aborted.',
FileNotFoundError(2, 'No such file or directory'))": true, and useless to a gamer, who saw
it in the app's Events. Callers log the raw error and show this sentence instead.
"""

from __future__ import annotations

NOT_RUNNING = "Docker is not installed or not running"


def unreachable_words(exc: BaseException) -> str:
    """ "Docker is not installed or not running", "this user may not use it", or "did not
    answer", read from the exception and what it carries (its cause, its arguments)."""
    chain = [exc, exc.__cause__, exc.__context__, *getattr(exc, "args", ())]
    text = " ".join(str(part) for part in chain if part is not None)
    if "PermissionError" in text or "Permission denied" in text:
        return (
            "Docker is installed, but this user may not use it (add yourself to the docker "
            "group, then log out and in)"
        )
    if "FileNotFoundError" in text or "No such file" in text or "Connection refused" in text:
        return NOT_RUNNING
    return "the Docker engine did not answer"
