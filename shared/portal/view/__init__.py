"""The customer's view of the portal: link exchange, session, the sites and services it may see."""
