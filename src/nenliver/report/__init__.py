"""Reports: the plan object and its terminal, HTML and PDF views."""
