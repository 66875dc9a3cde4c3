"""Structured events of elastic distributed training, compatible with torch.distributed.elastic.events."""

__version__ = "0.1.0"
