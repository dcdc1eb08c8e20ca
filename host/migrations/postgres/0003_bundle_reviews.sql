-- A bundle's (一件事) versions go through review too: `kind` may be 'bundle'.
ALTER TABLE reviews DROP CONSTRAINT reviews_kind_check;
ALTER TABLE reviews ADD CONSTRAINT reviews_kind_check CHECK (kind IN ('policy', 'bundle'));
