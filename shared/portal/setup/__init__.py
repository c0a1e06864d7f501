"""The vendor's portal set-up: customers, sites, customer users, their links, completed services, pictures."""
