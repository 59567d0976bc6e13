"""Prefect tasks: a few lines each over paritylab functions. Retries on model calls live in the runner,
not in task `retries=`."""
