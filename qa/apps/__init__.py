"""What people run: the command line, the chat page, the REST server."""
