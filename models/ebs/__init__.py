"""Amazon EBS protocols from the April 2011 post-mortem."""
