"""The customer portal: the vendor's set-up (setup/) and the customer's view of it (view/)."""
