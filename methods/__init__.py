"""Built-in hashing methods, one module each; imported only when a method is used."""

BUILTIN: dict[str, str] = {
    "cvh": "cmhbench.methods.cvh",
    "dcmh": "cmhbench.methods.dcmh",
    "dgcpn": "cmhbench.methods.dgcpn",
    "djsrh": "cmhbench.methods.djsrh",
    "jdsh": "cmhbench.methods.jdsh",
    "triplet": "cmhbench.methods.triplet",
    "ucch": "cmhbench.methods.ucch",
}
