"""The function's code: pure domain modules (errors, request, triggers, outcome) and the SDK-facing ones."""
