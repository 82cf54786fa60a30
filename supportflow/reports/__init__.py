"""Reports for admins: how the bot and the team are doing, and what the knowledge base lacks."""
