"""Photos: image answers, checked and shrunk, stored once per content under instance/photos/."""
