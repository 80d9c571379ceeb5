"""What the server keeps per user: datasets and results (``storage``), what an engine
computed for the dashboard (``results``), background jobs (``jobs``) and who owns a
request (``owner``)."""
