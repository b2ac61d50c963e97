"""Built-in hashing methods, one module each; imported only when a method is used."""

BUILTIN: dict[str, str] = {
    "triplet": "cmhbench.methods.triplet",
    "ucch": "cmhbench.methods.ucch",
}
