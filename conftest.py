# The `contracts` package and the `contracts/tests` folder share a name; importing the real
# package first keeps pytest's importlib mode from putting a placeholder in its place.
import contracts  # noqa: F401
