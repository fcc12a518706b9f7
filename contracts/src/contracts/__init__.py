"""The public, versioned interface between the services: the envelope every message wears,
the event models, the topic registry and unit vocabulary. Analytics consumers need only this
package (or the JSON Schemas generated from it) to tap a topic."""
