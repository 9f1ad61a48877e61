"""The function: trigger envelopes → cancel request → VOD batches → outcomes → results message (see the README's
Layout section for what each module does)."""
