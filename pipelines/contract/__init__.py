"""The data contract: what a delivery is (kinds, file layout), the shapes it lands in, the vocabularies and the GX suites it must meet."""
