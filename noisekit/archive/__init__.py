"""The Internet Archive client: an `internetarchive` session routed to any endpoint with polite retries
(`session`), search and metadata (`search`), untrusted-metadata parsing (`metadata`), Great 78 file
choice (`choose`), md5-verified resumable downloads (`download`), the `ia download` layout and
miniature-archive builder (`layout`), and the two item sources a harvest reads (`sources`)."""
