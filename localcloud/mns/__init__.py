"""Local MNS (Simple Message Queue): topics, subscriptions (queue and FC endpoints) and queues over REST/XML."""
