from pmkv.cli.main import main

main()
