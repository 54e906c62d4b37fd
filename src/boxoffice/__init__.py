"""boxoffice: a ticket booking platform built for the on-sale minute."""
