"""Controllers (stub; being written)."""


class Controllers:
    def __init__(self, world):
        self.world = world

    def reconcile(self) -> None:
        pass
