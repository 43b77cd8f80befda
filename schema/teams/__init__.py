"""Teams and seats: seat self-service, teams under one owner, invitations, who pays."""
