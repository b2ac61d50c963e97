"""Built-in hashing methods, one module each; imported only when a method is used."""

BUILTIN: dict[str, str] = {
    "cvh": "cmhbench.methods.cvh",
    "dgcpn": "cmhbench.methods.dgcpn",
    "djsrh": "cmhbench.methods.djsrh",
    "jdsh": "cmhbench.methods.jdsh",
    "triplet": "cmhbench.methods.triplet",
    "ucch": "cmhbench.methods.ucch",
}
