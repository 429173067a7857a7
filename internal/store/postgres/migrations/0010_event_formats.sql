-- Events carry a neutral, versioned payload that each webhook renders in its
-- own format when it is delivered. Events recorded before this migration
-- hold the PayREST body rendered when they were recorded: version 0 marks
-- them, and they are delivered unchanged, so receivers' signature checks of
-- a retry keep covering the same bytes. The webhooks that exist were all
-- created through PayREST, hence their format.
ALTER TABLE events ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE webhooks ADD COLUMN format TEXT NOT NULL DEFAULT 'payrest';
