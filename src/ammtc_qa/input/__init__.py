"""Input: reading corpus folders and archives, cleaning with an audit, one ``Document`` per article."""
