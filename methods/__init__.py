"""Built-in hashing methods, one module each; imported only when a method is used."""

BUILTIN: dict[str, str] = {
    "cvh": "cmhbench.methods.cvh",
    "triplet": "cmhbench.methods.triplet",
    "ucch": "cmhbench.methods.ucch",
}
