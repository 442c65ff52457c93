"""From figures to action: the CNIL / ARS drafts and the letters to the people concerned."""
