"""Index building: chunking, embedding (with its cache) and the refresh that feeds a backend."""
