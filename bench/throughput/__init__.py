"""bench/throughput: scan throughput and memory on a dump shaped like a hospital leak."""
