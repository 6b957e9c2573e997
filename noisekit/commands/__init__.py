"""One module per command; each only parses options and calls a library function."""
