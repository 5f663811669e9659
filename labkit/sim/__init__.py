"""The local AKS simulator: an ARM plane and a Kubernetes API plane that the real clients talk to."""
