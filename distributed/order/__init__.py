"""Order: the public API; saves the order, then calls the other services one after another,
and compensates by hand when one of them fails."""
