"""The worker's local API: the shared contract, the server side and the client side."""
