"""Teams and seats: seat self-service, teams and their owner, invitations, takeover."""
