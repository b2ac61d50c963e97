"""Built-in hashing methods, one module each; imported only when a method is used."""

BUILTIN: dict[str, str] = {
    "acmr": "cmhbench.methods.acmr",
    "cmfh": "cmhbench.methods.cmfh",
    "cvh": "cmhbench.methods.cvh",
    "dch": "cmhbench.methods.dch",
    "dcmh": "cmhbench.methods.dcmh",
    "dgcpn": "cmhbench.methods.dgcpn",
    "djsrh": "cmhbench.methods.djsrh",
    "dlfh": "cmhbench.methods.dlfh",
    "fomh": "cmhbench.methods.fomh",
    "fsh": "cmhbench.methods.fsh",
    "jdsh": "cmhbench.methods.jdsh",
    "lssh": "cmhbench.methods.lssh",
    "ssah": "cmhbench.methods.ssah",
    "triplet": "cmhbench.methods.triplet",
    "ucch": "cmhbench.methods.ucch",
    "ugach": "cmhbench.methods.ugach",
}
