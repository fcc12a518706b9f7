"""Local HTTP servers standing in for carrier label APIs (EasyPost) in tests and demos. Like
the shop stand-ins (devstack.shops): only the documented endpoints the shipping service calls
(anything else is 404), documented shapes, every request recorded so tests assert exact calls,
and the platform's signed webhooks sent on demand."""
