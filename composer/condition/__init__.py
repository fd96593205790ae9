"""From a prompt or a picture to the condition: attributes plus a 384-d embedding."""
