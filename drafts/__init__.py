"""Content and review: drafts, variants, posts, channel text rules and the review workflow."""
