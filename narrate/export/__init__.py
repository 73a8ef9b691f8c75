"""Writing finished files: audio, tags, captions, manifest — always atomically."""
