"""The barracks screens. Viewing needs VIEW in barracks (commanders, clerks, specialists); every
change needs ENTER in barracks and goes through `haucan.barracks.services`, whose errors are shown
beside the field they name. Objects outside the actor's subtree are 404."""
