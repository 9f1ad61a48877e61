"""Local OSS: buckets and objects over the OSS REST API (path style and virtual host), with FC notifications."""
